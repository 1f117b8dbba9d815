import { DynamicModule, Module } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import type { AppConfig } from '@app/common';
import { GroupsModule } from '@app/groups';
import { DesktopController } from './desktop.controller';
import { DesktopService } from './desktop.service';

/**
 * Bowl Desktop's HTTP routes under DESKTOP_COMPAT_PREFIX, when DESKTOP_COMPAT is on (nothing
 * otherwise, so they answer 404). Needs the global AuthModule, LimitsModule and APP_CONFIG.
 */
@Module({})
export class DesktopModule {
  static forRoot(config: AppConfig): DynamicModule {
    if (!config.DESKTOP_COMPAT) return { module: DesktopModule };
    return {
      module: DesktopModule,
      imports: [
        GroupsModule,
        RouterModule.register([{ path: config.DESKTOP_COMPAT_PREFIX, module: DesktopModule }]),
      ],
      controllers: [DesktopController],
      providers: [DesktopService],
    };
  }
}

import { INestApplication, Provider } from '@nestjs/common';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { AppConfig, loadEnvironment } from '@app/common';
import { AppModule } from '../../apps/gateway/src/app.module';
import { configureApp } from '../../apps/gateway/src/create-app';
import { PER_ADDRESS_LIMITS_OFF } from './gateway-process';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256!';

export interface TestApp {
  app: INestApplication;
  url: string;
  config: AppConfig;
  close(): Promise<void>;
}

export function testConfig(databaseUrl: string, env: Record<string, string> = {}): AppConfig {
  return {
    ...loadEnvironment({ LOG_LEVEL: 'error', ...PER_ADDRESS_LIMITS_OFF, ...env }),
    DATABASE_URL: databaseUrl,
    JWT_SECRET: env.JWT_SECRET ?? TEST_JWT_SECRET,
  } as AppConfig;
}

/** The real gateway module in this process, listening on a free port of 127.0.0.1. */
export async function startTestApp(
  config: AppConfig,
  options: {
    providers?: Provider[];
    customize?: (b: TestingModuleBuilder) => TestingModuleBuilder;
  } = {},
): Promise<TestApp> {
  let builder = Test.createTestingModule({
    imports: [AppModule.forRoot(config)],
    providers: options.providers ?? [],
  });
  if (options.customize) builder = options.customize(builder);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  await configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}`, config, close: () => app.close() };
}

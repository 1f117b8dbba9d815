import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Ip,
  Post,
  Put,
  Query,
  UseFilters,
} from '@nestjs/common';
import { GroupDetailsDto } from '@app/groups';
import { DesktopExceptionFilter } from './desktop-exception.filter';
import {
  DesktopLogInDto,
  DesktopSignUpDto,
  DesktopUserQueryDto,
  DesktopUserUpdateDto,
} from './desktop.dto';
import { DesktopService } from './desktop.service';
import { failure, success } from './envelope';

/**
 * Bowl Desktop's HTTP routes, under DESKTOP_COMPAT_PREFIX, answered as the desktop reads them:
 * `{status, msg, data}`, except the two replies it reads bare (getUserDetails, groupChat).
 */
@Controller()
@UseFilters(DesktopExceptionFilter)
export class DesktopController {
  constructor(private readonly desktop: DesktopService) {}

  @Post('signup')
  @HttpCode(200)
  async signUp(@Body() dto: DesktopSignUpDto, @Ip() ip: string) {
    await this.desktop.signUp(dto, ip);
    return success('Account created: you can log in.');
  }

  @Post('login')
  @HttpCode(200)
  async logIn(@Body() dto: DesktopLogInDto, @Ip() ip: string) {
    const { token, user } = await this.desktop.logIn(dto, ip);
    return { ...success('Authentication success!', token), user };
  }

  @Put('user/update')
  async updateUser(
    @Headers('authorization') authorization: string | undefined,
    @Body() dto: DesktopUserUpdateDto,
  ) {
    await this.desktop.updateUser(authorization, dto);
    return success('User updated!');
  }

  @Get('user/getUserDetails')
  userDetails(@Query() query: DesktopUserQueryDto, @Ip() ip: string) {
    return this.desktop.userDetails(query.email, ip);
  }

  @Post('groupChat')
  @HttpCode(200)
  createGroup(
    @Headers('authorization') authorization: string | undefined,
    @Body() dto: GroupDetailsDto,
  ) {
    return this.desktop.createGroup(authorization, dto);
  }

  /** Bowl sends no e-mail, so it cannot reset passwords by a mailed link. */
  @Post('forgotpassword')
  @HttpCode(501)
  forgotPassword() {
    return failure('This server does not reset passwords by e-mail.');
  }
}

import { MessageBody, SubscribeMessage } from '@nestjs/websockets';
import type { AuthUser } from '@app/auth';
import {
  CreateGroupDto,
  GroupIdDto,
  GroupInviteeDto,
  GroupMemberDto,
  GroupsService,
  SendGroupRequestDto,
} from '@app/groups';
import { BowlGateway } from './bowl-gateway.decorator';
import { CurrentUser, ok } from './current-user.decorator';

@BowlGateway()
export class GroupsGateway {
  constructor(private readonly groups: GroupsService) {}

  @SubscribeMessage('createGroup')
  async createGroup(@CurrentUser() user: AuthUser, @MessageBody() dto: CreateGroupDto) {
    return ok(await this.groups.create(user, dto));
  }

  @SubscribeMessage('sendGroupRequest')
  async sendGroupRequest(@CurrentUser() user: AuthUser, @MessageBody() dto: SendGroupRequestDto) {
    await this.groups.invite(user, dto);
    return ok();
  }

  @SubscribeMessage('cancelGroupRequest')
  async cancelGroupRequest(@CurrentUser() user: AuthUser, @MessageBody() dto: GroupInviteeDto) {
    await this.groups.cancelInvite(user, dto.groupId, dto.email);
    return ok();
  }

  @SubscribeMessage('acceptGroupRequest')
  async acceptGroupRequest(@CurrentUser() user: AuthUser, @MessageBody() dto: GroupIdDto) {
    return ok(await this.groups.acceptInvite(user, dto.groupId));
  }

  @SubscribeMessage('declineGroupRequest')
  async declineGroupRequest(@CurrentUser() user: AuthUser, @MessageBody() dto: GroupIdDto) {
    await this.groups.declineInvite(user, dto.groupId);
    return ok();
  }

  @SubscribeMessage('leaveGroup')
  async leaveGroup(@CurrentUser() user: AuthUser, @MessageBody() dto: GroupIdDto) {
    await this.groups.leave(user, dto.groupId);
    return ok();
  }

  @SubscribeMessage('removeGroupMember')
  async removeGroupMember(@CurrentUser() user: AuthUser, @MessageBody() dto: GroupMemberDto) {
    await this.groups.removeMember(user, dto.groupId, dto.email);
    return ok();
  }

  @SubscribeMessage('promoteGroupMember')
  async promoteGroupMember(@CurrentUser() user: AuthUser, @MessageBody() dto: GroupMemberDto) {
    await this.groups.promoteMember(user, dto.groupId, dto.email);
    return ok();
  }
}

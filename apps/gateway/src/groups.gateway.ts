import { SubscribeMessage } from '@nestjs/websockets';
import type { AuthUser } from '@app/auth';
import {
  CreateGroupDto,
  GroupIdDto,
  GroupInviteeDto,
  GroupMemberDto,
  GroupsService,
  SendGroupRequestDto,
} from '@app/groups';
import { RateLimit } from './rate-limit';
import { SocketHandlers } from './socket-router';

@SocketHandlers()
export class GroupsGateway {
  constructor(private readonly groups: GroupsService) {}

  @SubscribeMessage('createGroup')
  createGroup(user: AuthUser, dto: CreateGroupDto) {
    return this.groups.create(user, dto);
  }

  @SubscribeMessage('sendGroupRequest')
  @RateLimit('groupInvitation')
  sendGroupRequest(user: AuthUser, dto: SendGroupRequestDto) {
    return this.groups.invite(user, dto);
  }

  @SubscribeMessage('cancelGroupRequest')
  cancelGroupRequest(user: AuthUser, dto: GroupInviteeDto) {
    return this.groups.cancelInvite(user, dto.groupId, dto.email);
  }

  @SubscribeMessage('acceptGroupRequest')
  acceptGroupRequest(user: AuthUser, dto: GroupIdDto) {
    return this.groups.acceptInvite(user, dto.groupId);
  }

  @SubscribeMessage('declineGroupRequest')
  declineGroupRequest(user: AuthUser, dto: GroupIdDto) {
    return this.groups.declineInvite(user, dto.groupId);
  }

  @SubscribeMessage('leaveGroup')
  leaveGroup(user: AuthUser, dto: GroupIdDto) {
    return this.groups.leave(user, dto.groupId);
  }

  @SubscribeMessage('removeGroupMember')
  removeGroupMember(user: AuthUser, dto: GroupMemberDto) {
    return this.groups.removeMember(user, dto.groupId, dto.email);
  }

  @SubscribeMessage('promoteGroupMember')
  promoteGroupMember(user: AuthUser, dto: GroupMemberDto) {
    return this.groups.promoteMember(user, dto.groupId, dto.email);
  }
}

import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsBase64Text, IsDisplayName, IsGroupId, IsNormalizedEmail } from '@app/common';

/** Wrapped AES-256 group keys are RSA-OAEP ciphertext (256–512 bytes) in base64. */
const MAX_WRAPPED_KEY = 1024;

/** A group's name and description, as its creator gives them. */
export class GroupDetailsDto {
  @IsDisplayName()
  name: string;

  @IsOptional()
  @IsString({ message: 'description must be a string' })
  @MaxLength(512, { message: 'description must be at most 512 characters' })
  description?: string;
}

export class CreateGroupDto extends GroupDetailsDto {
  @IsBase64Text(MAX_WRAPPED_KEY)
  encryptedGroupKey: string;
}

/** acceptGroupRequest, declineGroupRequest, leaveGroup. */
export class GroupIdDto {
  @IsGroupId()
  groupId: string;
}

export class SendGroupRequestDto {
  @IsGroupId()
  groupId: string;

  @IsBase64Text(MAX_WRAPPED_KEY)
  encryptedGroupKey: string;

  @IsNormalizedEmail()
  email: string;
}

/** removeGroupMember, promoteGroupMember. */
export class GroupMemberDto {
  @IsGroupId()
  groupId: string;

  @IsNormalizedEmail()
  email: string;
}

/** cancelGroupRequest: the invitee whose pending invitation an admin withdraws. */
export class GroupInviteeDto {
  @IsGroupId()
  groupId: string;

  @IsNormalizedEmail()
  email: string;
}

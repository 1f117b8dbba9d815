import { IsOptional, IsString, Length, Matches, registerDecorator } from 'class-validator';
import { IsGroupId, IsNormalizedEmail, Verbatim } from '@app/common';

const MAX_MESSAGE_TYPE_BYTES = 1024;

/**
 * `DD/MM/YYYY` or `DD/MM/YY`, day and month also unpadded (`1/9/2023`, as Bowl Desktop writes
 * them), and a real calendar date (no 31/02).
 */
export function isCalendarDate(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/.exec(value);
  if (!match) return false;
  const [day, month] = [Number(match[1]), Number(match[2])];
  const year = match[3].length === 2 ? 2000 + Number(match[3]) : Number(match[3]);
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

function IsCalendarDate(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCalendarDate',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: '$property must be a real date as DD/MM/YYYY or DD/MM/YY (D/M unpadded too)',
      },
      validator: { validate: isCalendarDate },
    });
}

/** Any JSON value (relayed verbatim), present and at most 1 KiB once serialised. */
function IsSmallJson(maxBytes: number): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isSmallJson',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `$property must be a JSON value of at most ${maxBytes} bytes` },
      validator: {
        validate: (value: unknown) => {
          if (value === undefined) return false;
          const json = JSON.stringify(value);
          return json !== undefined && Buffer.byteLength(json) <= maxBytes;
        },
      },
    });
}

/** Fields every chat message carries. The sender's own date and time are relayed as given. */
abstract class ChatMessageDto {
  @IsCalendarDate()
  date: string;

  @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'time must be HH:MM between 00:00 and 23:59' })
  time: string;

  @Verbatim()
  @IsSmallJson(MAX_MESSAGE_TYPE_BYTES)
  messageType: unknown;

  /** Ciphertext; its size limit is MAX_MESSAGE_BYTES (checked by DeliveryService). */
  @IsString({ message: 'message must be a string' })
  @Length(1, undefined, { message: 'message must not be empty' })
  message: string;

  /** Optional idempotency key: a resend with the same one returns the first id. */
  @IsOptional()
  @IsString({ message: 'clientMessageId must be a string' })
  @Length(1, 64, { message: 'clientMessageId must be 1 to 64 characters' })
  clientMessageId?: string;
}

export class ContactChatMessageDto extends ChatMessageDto {
  @IsNormalizedEmail()
  to: string;
}

export class GroupChatMessageDto extends ChatMessageDto {
  @IsGroupId()
  groupId: string;
}

import { IsNormalizedEmail } from '@app/common';

/** sendContactRequest, acceptContactRequest, declineContactRequest, removeContact. */
export class EmailDto {
  @IsNormalizedEmail()
  email: string;
}

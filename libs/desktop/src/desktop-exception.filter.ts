import { Catch } from '@nestjs/common';
import { AppExceptionFilter, ResolvedError } from '@app/common';
import { failure } from './envelope';

/**
 * The one error filter with the desktop's body: the status code, `Retry-After` and logging stay
 * AppExceptionFilter's; the body is `{status:"FAILURE", msg, data:""}`.
 */
@Catch()
export class DesktopExceptionFilter extends AppExceptionFilter {
  protected httpBody(resolved: ResolvedError): object {
    return failure(resolved.ref ? `${resolved.message} (ref ${resolved.ref})` : resolved.message);
  }
}

import {
  BadRequestException,
  Injectable,
  PipeTransform,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { WsParamtype } from '@nestjs/websockets/enums/ws-paramtype.enum';

const VALIDATED_PARAMS = new Set<unknown>(['body', 'query', 'param', WsParamtype.PAYLOAD]);

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).slice(0, 1);
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/** Validation errors as one readable line that names the offending field(s). */
export function validationMessage(errors: ValidationError[]): string {
  return flatten(errors).join('; ') || 'invalid payload';
}

/**
 * The project's one ValidationPipe: strips nothing silently (unknown fields are refused),
 * transforms into DTO instances, and refuses a payload that is not a plain object up front,
 * so a string, a number, an array or a missing payload get a clear error instead of a crash.
 */
@Injectable()
export class AppValidationPipe implements PipeTransform {
  private readonly pipe = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new BadRequestException(validationMessage(errors)),
  });

  async transform(
    value: unknown,
    metadata: Parameters<ValidationPipe['transform']>[1],
  ): Promise<unknown> {
    // Nest runs gateway pipes on every parameter, the connected socket included.
    if (!VALIDATED_PARAMS.has(metadata.type)) return value;
    const isDto = typeof metadata.metatype === 'function' && metadata.metatype !== Object;
    if (isDto && !isPlainObject(value)) {
      throw new BadRequestException('payload must be an object');
    }
    return this.pipe.transform(value, metadata);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

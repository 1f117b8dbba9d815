import { BadRequestException, Injectable, PipeTransform, ValidationError } from '@nestjs/common';
import type { ArgumentMetadata } from '@nestjs/common';
import { WsParamtype } from '@nestjs/websockets/enums/ws-paramtype.enum';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';

const VALIDATED_PARAMS = new Set<unknown>(['body', 'query', 'param', WsParamtype.PAYLOAD]);
const VERBATIM = Symbol('verbatim');

/** Keys class-transformer drops silently (so an unknown-field check would never see them). */
const HIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

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
 * A DTO property relayed exactly as the client sent it: class-transformer never touches it (it
 * would drop nested `constructor`/`__proto__` keys); its validators still run.
 */
export function Verbatim(): PropertyDecorator {
  return (target, property) => {
    const fields: (string | symbol)[] = Reflect.getMetadata(VERBATIM, target.constructor) ?? [];
    Reflect.defineMetadata(VERBATIM, [...fields, property], target.constructor);
  };
}

/**
 * The project's one validation pipe, for HTTP bodies and socket payloads: the payload must be a
 * plain object; it becomes an instance of its DTO class (transform); unknown fields are refused,
 * never silently stripped (whitelist + forbidNonWhitelisted); errors name the field.
 */
@Injectable()
export class AppValidationPipe implements PipeTransform {
  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Nest runs gateway pipes on every parameter, the connected socket included.
    if (!VALIDATED_PARAMS.has(metadata.type)) return value;
    const dtoClass = metadata.metatype;
    if (typeof dtoClass !== 'function' || dtoClass === Object) return value;
    if (!isPlainObject(value)) throw new BadRequestException('payload must be an object');
    refuseWhatValidatorsCannotSee(value);

    const verbatim: (string | symbol)[] = Reflect.getMetadata(VERBATIM, dtoClass) ?? [];
    const rest: Record<string | symbol, unknown> = { ...value };
    for (const field of verbatim) delete rest[field];
    const dto = plainToInstance(dtoClass as new () => object, rest) as Record<
      string | symbol,
      unknown
    >;
    for (const field of verbatim) if (field in value) dto[field] = value[field as string];

    const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length) throw new BadRequestException(validationMessage(errors));
    return dto;
  }
}

/**
 * JSON's own `__proto__`/`constructor` keys, NUL characters (PostgreSQL text refuses them) and,
 * at any depth, lone surrogates (text that is not well-formed Unicode).
 */
function refuseWhatValidatorsCannotSee(payload: Record<string, unknown>): void {
  for (const key of HIDDEN_KEYS) {
    if (Object.prototype.hasOwnProperty.call(payload, key)) {
      throw new BadRequestException(`property ${key} should not exist`);
    }
  }
  for (const [key, value] of Object.entries(payload)) {
    if (typeof value === 'string' && value.includes('\u0000')) {
      throw new BadRequestException(`${key} must not contain NUL characters`);
    }
  }
  const malformed = findLoneSurrogate(payload);
  if (malformed !== undefined) {
    throw new BadRequestException(`${malformed} must not contain lone surrogates`);
  }
}

const LONE_SURROGATE = /\p{Cs}/u; // with the u flag a well-formed pair is one code point, not Cs

/**
 * The top-level field (`payload` for a top-level key) holding, at any depth, a string or key with
 * a lone surrogate. Iterative, so that deeply nested input cannot exhaust the stack.
 */
export function findLoneSurrogate(payload: Record<string, unknown>): string | undefined {
  const pending: { value: unknown; field: string }[] = [{ value: payload, field: 'payload' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, field } = next;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return field;
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) return field;
        pending.push({ value: inner, field: value === payload ? key : field });
      }
    }
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

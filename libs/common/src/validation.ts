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
    const verbatim: (string | symbol)[] = Reflect.getMetadata(VERBATIM, dtoClass) ?? [];
    refuseWhatValidatorsCannotSee(value, verbatim);

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

/** Deeper than this, a payload is refused before anything recursive (class-transformer) sees it. */
export const MAX_PAYLOAD_DEPTH = 32;

/** A UTF-16 surrogate without its other half: no Unicode text, and PostgreSQL's json refuses it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What the validators cannot see or would choke on: JSON's own `__proto__`/`constructor`/
 * `prototype` keys at any depth (class-transformer drops them at the top and crashes on them
 * below; only verbatim fields may hold them), NUL characters in fields (PostgreSQL text refuses
 * them), lone surrogates in any string or key, and nesting deep enough to overflow the stack of
 * recursive code. Walks without recursion.
 */
function refuseWhatValidatorsCannotSee(
  payload: Record<string, unknown>,
  verbatim: (string | symbol)[],
): void {
  for (const [key, value] of Object.entries(payload)) {
    if (typeof value === 'string' && value.includes('\u0000')) {
      throw new BadRequestException(`${key} must not contain NUL characters`);
    }
  }
  const pending: { value: unknown; field: string; depth: number; relayed: boolean }[] = [
    { value: payload, field: 'payload', depth: 0, relayed: false },
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, field, depth, relayed } = next;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) {
        throw new BadRequestException(`${field} must not contain lone surrogates`);
      }
    } else if (value !== null && typeof value === 'object') {
      if (depth >= MAX_PAYLOAD_DEPTH) {
        throw new BadRequestException(`${field} is nested too deeply (max ${MAX_PAYLOAD_DEPTH})`);
      }
      for (const [key, inner] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) {
          throw new BadRequestException(`${field} must not contain lone surrogates`);
        }
        if (!relayed && HIDDEN_KEYS.includes(key)) {
          throw new BadRequestException(`property ${key} should not exist`);
        }
        const child = depth === 0 ? key : field;
        pending.push({
          value: inner,
          field: child,
          depth: depth + 1,
          relayed: relayed || (depth === 0 && verbatim.includes(key)),
        });
      }
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

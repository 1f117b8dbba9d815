import { BadRequestException } from '@nestjs/common';
import { IsOptional, IsString } from 'class-validator';
import { AppValidationPipe, MAX_PAYLOAD_DEPTH, Verbatim } from './validation';

class ProbeDto {
  @IsString()
  name: string;

  @IsOptional()
  @Verbatim()
  messageType?: unknown;
}

const pipe = new AppValidationPipe();
const check = (payload: unknown) => pipe.transform(payload, { type: 'body', metatype: ProbeDto });
const refusal = async (payload: unknown) => {
  const err = await check(payload).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BadRequestException);
  return (err as BadRequestException).message;
};

describe('AppValidationPipe on text that is not well-formed Unicode', () => {
  it('accepts well-formed text, astral characters (surrogate pairs) included', async () => {
    const dto = await check({ name: 'ok 😀 ｘ', messageType: { list: ['a', { b: '𝄞' }] } });
    expect(dto).toEqual({ name: 'ok 😀 ｘ', messageType: { list: ['a', { b: '𝄞' }] } });
  });

  it('names the top-level field holding a lone high or low surrogate, at any depth', async () => {
    expect(await refusal({ name: 'g\udfff' })).toBe('name must not contain lone surrogates');
    expect(await refusal({ name: 'a', messageType: { parts: ['x', '\ud800y'] } })).toBe(
      'messageType must not contain lone surrogates',
    );
    expect(await refusal({ name: 'a', messageType: { ['k\udc00']: 1 } })).toBe(
      'messageType must not contain lone surrogates',
    );
    expect(await refusal({ name: 'a', ['\ud800']: 1 })).toBe(
      'payload must not contain lone surrogates',
    );
  });

  it('refuses nesting deeper than MAX_PAYLOAD_DEPTH without exhausting the stack', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(await refusal({ name: 'a', messageType: deep })).toBe(
      `messageType is nested too deeply (max ${MAX_PAYLOAD_DEPTH})`,
    );
  });
});

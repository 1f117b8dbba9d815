import { ArgumentsHost, BadRequestException, Logger } from '@nestjs/common';
import { UserNotFoundError } from '@app/contacts';
import { RateLimitedError } from '@app/limits';
import { DesktopExceptionFilter } from './desktop-exception.filter';

/** What the filter answers over HTTP, through a stand-in for Express's response. */
function answer(exception: unknown) {
  const sent = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const res = {
    setHeader: (name: string, value: string) => (sent.headers[name] = value),
    status: (code: number) => {
      sent.status = code;
      return { json: (body: unknown) => (sent.body = body) };
    },
  };
  const host = {
    getType: () => 'http',
    switchToHttp: () => ({ getResponse: () => res }),
  } as unknown as ArgumentsHost;
  new DesktopExceptionFilter().catch(exception, host);
  return sent;
}

describe('DesktopExceptionFilter', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('answers a refusal with its status and the FAILURE envelope', () => {
    expect(answer(new UserNotFoundError())).toEqual({
      status: 404,
      headers: {},
      body: { status: 'FAILURE', msg: 'no user with that email', data: '' },
    });
    expect(answer(new BadRequestException('password must be 10 to 1024 characters'))).toEqual({
      status: 400,
      headers: {},
      body: { status: 'FAILURE', msg: 'password must be 10 to 1024 characters', data: '' },
    });
  });

  it('keeps Retry-After on a rate limit', () => {
    expect(answer(new RateLimitedError(2500))).toEqual({
      status: 429,
      headers: { 'Retry-After': '3' },
      body: { status: 'FAILURE', msg: 'rate limited', data: '' },
    });
  });

  it('tells only a ref of an unexpected failure', () => {
    const sent = answer(new Error('secret detail'));
    expect(sent).toEqual({
      status: 500,
      headers: {},
      body: {
        status: 'FAILURE',
        msg: expect.stringMatching(/^internal error \(ref [0-9a-f]{8}\)$/),
        data: '',
      },
    });
    expect(JSON.stringify(sent)).not.toContain('secret detail');
  });
});

import { Logger } from '@nestjs/common';
import { SubscribeMessage } from '@nestjs/websockets';
import { IsIn } from 'class-validator';
import type { AuthUser } from '@app/auth';
import { ConflictError } from '@app/common';
import { SocketHandlers } from '../apps/gateway/src/socket-router';
import { createTestDatabase, TestDatabase } from './support/database';
import { connect, emitAck, registerUser } from './support/clients';
import { startTestApp, testConfig, TestApp } from './support/test-app';

class ProbeDto {
  @IsIn(['ok', 'refuse', 'crash'])
  outcome: 'ok' | 'refuse' | 'crash';
}

/** Handlers routed like the project's own, to exercise the pipe and the filter for real. */
@SocketHandlers()
class ProbeGateway {
  @SubscribeMessage('probe')
  async probe(_user: AuthUser, dto: ProbeDto) {
    if (dto.outcome === 'refuse') throw new ConflictError('already done');
    if (dto.outcome === 'crash') throw new Error('db password is hunter2 at /secret/path');
    return {};
  }
}

describe('socket error handling', () => {
  let db: TestDatabase;
  let app: TestApp;
  const logged: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(testConfig(db.url), { providers: [ProbeGateway] });
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await app?.close();
    await db?.drop();
  });

  it('turns refusals, bad input and crashes into ERROR acks and keeps the socket connected', async () => {
    const user = await registerUser(app.url);
    const socket = await connect(app.url, user.token);

    expect(await emitAck(socket, 'probe', { outcome: 'ok' })).toEqual({ status: 'OK' });
    expect(await emitAck(socket, 'probe', { outcome: 'refuse' })).toEqual({
      status: 'ERROR',
      error: 'already done',
      code: 'conflict',
    });
    expect(await emitAck(socket, 'probe', { outcome: 'other' })).toEqual({
      status: 'ERROR',
      error: expect.stringContaining('outcome must be one of the following values'),
      code: 'validation',
    });
    expect(await emitAck(socket, 'probe', { outcome: 'ok', extra: 1 })).toEqual({
      status: 'ERROR',
      error: 'property extra should not exist',
      code: 'validation',
    });
    for (const payload of ['a string', 42, null, [1, 2], true]) {
      expect(await emitAck(socket, 'probe', payload)).toEqual({
        status: 'ERROR',
        error: 'payload must be an object',
        code: 'validation',
      });
    }
    expect(await emitAck(socket, 'probe')).toEqual({
      status: 'ERROR',
      error: 'payload must be an object',
      code: 'validation',
    });

    const crash = await emitAck(socket, 'probe', { outcome: 'crash' });
    expect(crash).toEqual({
      status: 'ERROR',
      error: 'internal error',
      code: 'internal',
      ref: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
    expect(JSON.stringify(crash)).not.toContain('hunter2');
    expect(logged.some((line) => line.includes(`ref=${crash.ref as string}`))).toBe(true);

    expect(await emitAck(socket, 'noSuchEvent', { a: 1 })).toEqual({
      status: 'ERROR',
      error: 'unknown event "noSuchEvent"',
      code: 'unknown_event',
    });

    expect(socket.connected).toBe(true);
    expect(await emitAck(socket, 'probe', { outcome: 'ok' })).toEqual({ status: 'OK' });
    socket.close();
  });
});

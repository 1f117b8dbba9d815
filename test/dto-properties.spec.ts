import { BadRequestException } from '@nestjs/common';
import { WsParamtype } from '@nestjs/websockets/enums/ws-paramtype.enum';
import fc from 'fast-check';
import { AppValidationPipe, toErrorAck } from '@app/common';
import {
  fieldsOf,
  HTTP_BODIES,
  hostilePayload,
  PROPERTY_SEED,
  socketEvents,
  Target,
} from './support/hostile';

/**
 * Every socket payload and HTTP body through the one validation pipe, with hostile input: the
 * pipe either yields the DTO or refuses with a message (code `validation`), never anything
 * else (which would reach the client as `internal error`).
 */
const RUNS = 250;
const pipe = new AppValidationPipe();

async function outcome(target: Target, type: 'body' | WsParamtype, payload: unknown) {
  try {
    const dto = await pipe.transform(payload, { type: type as 'body', metatype: target.dto });
    return dto instanceof target.dto ? 'accepted' : `not a ${target.dto.name}`;
  } catch (err) {
    const ack = toErrorAck(err);
    const refused =
      err instanceof BadRequestException &&
      ack.code === 'validation' &&
      typeof ack.error === 'string' &&
      ack.error.length > 0;
    return refused ? 'refused' : `threw ${(err as Error)?.stack ?? String(err)}`;
  }
}

describe('hostile payloads through AppValidationPipe (fast-check)', () => {
  const targets = [
    ...socketEvents().map((t) => ({ ...t, type: WsParamtype.PAYLOAD })),
    ...HTTP_BODIES.map((t) => ({ ...t, type: 'body' as const })),
  ];
  const runs: Record<string, number> = {};

  afterAll(() => {
    const total = Object.values(runs).reduce((a, b) => a + b, 0);
    console.log(`property runs (seed ${PROPERTY_SEED}): ${total} over ${targets.length} targets`);
  });

  it('covers every event the gateways handle and every HTTP body', () => {
    expect(targets.map((t) => t.name).sort()).toEqual(
      [
        '/auth/login',
        '/auth/register',
        'acceptContactRequest',
        'acceptGroupRequest',
        'cancelGroupRequest',
        'contactChatMessage',
        'createGroup',
        'declineContactRequest',
        'declineGroupRequest',
        'groupChatMessage',
        'leaveGroup',
        'promoteGroupMember',
        'removeContact',
        'removeGroupMember',
        'sendContactRequest',
        'sendGroupRequest',
      ].sort(),
    );
  });

  it.each(targets.map((t) => [t.name, t] as const))(
    '%s: accepted or refused with a message, nothing else',
    async (_name, target) => {
      runs[target.name] = 0;
      await fc.assert(
        fc.asyncProperty(
          hostilePayload(fieldsOf(target.dto), { maxHuge: 300_000, maxDepth: 20_000 }),
          async (payload) => {
            runs[target.name]++;
            const result = await outcome(target, target.type, payload);
            expect(['accepted', 'refused']).toContain(result);
          },
        ),
        { seed: PROPERTY_SEED, numRuns: RUNS },
      );
    },
  );
});

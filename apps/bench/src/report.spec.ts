import { cpuElsewhere, fanOutLine, finalLines } from './report';
import { kibPerSocket } from './idle';
import { ciphertext, idOf } from './client';

describe('report', () => {
  it('ends with the three figures of the issue, n/a where one is missing', () => {
    expect(
      finalLines({
        bowlClosedRate: 812,
        bareClosedRate: 11000,
        bowlOpenP99: 3500,
        bareOpenP99: 5,
        bowlIdleKiB: 121.04,
      }),
    ).toEqual(['throughput ratio: 0.07', 'p99 ratio: 700.00', 'idle socket KiB: 121.0']);
    expect(
      finalLines({
        bowlClosedRate: 812,
        bareClosedRate: NaN,
        bowlOpenP99: 3,
        bareOpenP99: 0,
        bowlIdleKiB: NaN,
      }),
    ).toEqual(['throughput ratio: n/a', 'p99 ratio: n/a', 'idle socket KiB: n/a']);
  });

  it('shows notices per delivered message for each instance', () => {
    expect(
      fanOutLine([
        { noticesReceived: 2000, messagesDelivered: 1000 },
        { noticesReceived: undefined, messagesDelivered: 10 },
      ]),
    ).toBe('notices received ÷ messages delivered, per instance: a 2000/1000 = 2.00; b n/a');
  });

  it('tells how much CPU went to processes other than the side’s own', () => {
    const usage = { rss: [], serverCpu: [60, 55], databaseCpu: 40, benchCpu: 30, cores: 2 };
    expect(cpuElsewhere({ ...usage, machineCpu: 200 })).toBe(15);
    expect(cpuElsewhere({ ...usage, redisCpu: 10, machineCpu: 200 })).toBe(5);
    expect(cpuElsewhere({ ...usage, serverCpu: [60, undefined], machineCpu: 120 })).toBe(0);
    expect(cpuElsewhere({ ...usage, machineCpu: undefined })).toBeUndefined();
  });

  it('divides the RSS growth by the sockets added', () => {
    expect(kibPerSocket(100, 130, 3000)).toBeCloseTo(10.24);
    expect(kibPerSocket(undefined, 130, 3000)).toBeNaN();
  });

  it('makes ciphertexts of the exact size that carry their send id', () => {
    const message = ciphertext(1234, 300);
    expect(message).toHaveLength(300);
    expect(message).toMatch(/^1234\/[A-Za-z0-9+]+$/);
    expect(idOf(message)).toBe(1234);
    expect([undefined, 'no id here', '/5'].map(idOf)).toEqual([NaN, NaN, NaN]);
  });
});

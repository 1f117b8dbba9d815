import { DeliveryTracker } from './tracker';

/** A tracker that records completions; every call below passes its own time. */
function conversation() {
  const completed: number[] = [];
  const tracker = new DeliveryTracker((id) => completed.push(id));
  return { tracker, completed };
}

describe('DeliveryTracker', () => {
  it('passes a conversation delivered once each, in order, and reports its figures', () => {
    const { tracker, completed } = conversation();
    const a = tracker.begin('1>2', [2], false, 0);
    tracker.ok(a, 1);
    tracker.received(2, a, 3);
    const b = tracker.begin('1>2', [2], true, 10);
    tracker.received(2, b, 14); // before its OK: the recipient may be faster than the sender
    tracker.ok(b, 15);

    expect(completed).toEqual([a, b]);
    expect(tracker.outstanding()).toBe(0);
    expect(tracker.latencies()).toEqual([4]);
    expect(tracker.latencies(12)).toEqual([2]);
    expect(tracker.deliveredBetween(0, 10)).toBe(1);
    expect(tracker.measuredRate(10)).toBe(250);
    expect(tracker.verdict()).toEqual({
      sent: 2,
      ok: 2,
      errors: 0,
      firstError: undefined,
      delivered: 2,
      lost: 0,
      duplicates: 0,
      reordered: 0,
      unexpected: 0,
      deliveredAfterError: 0,
      problems: [],
    });
  });

  it('counts an OK’d message that never arrives as lost', () => {
    const { tracker, completed } = conversation();
    const id = tracker.begin('g>0', [1, 2], true, 0);
    tracker.ok(id, 1);
    tracker.received(1, id, 2);

    expect(completed).toEqual([]);
    expect(tracker.outstanding()).toBe(1);
    expect(tracker.verdict()).toMatchObject({
      lost: 1,
      problems: ["1 deliveries of OK'd messages lost"],
    });
  });

  it('counts a second receipt as a duplicate and a stranger’s message as unexpected', () => {
    const { tracker } = conversation();
    const id = tracker.begin('1>2', [2], true, 0);
    tracker.ok(id, 1);
    tracker.received(2, id, 2);
    tracker.received(2, id, 3);
    tracker.received(3, id, 3);
    tracker.received(2, NaN, 3);

    expect(tracker.verdict()).toMatchObject({
      delivered: 1,
      duplicates: 1,
      unexpected: 2,
      problems: [
        '1 deliveries received twice',
        `2 unexpected deliveries, e.g. message ${id} at user 3`,
      ],
    });
  });

  it('flags a message overtaken by one sent after its OK, but not sends that were in flight together', () => {
    const { tracker } = conversation();
    // a and b in flight together: either order is the server's to choose
    const a = tracker.begin('1>2', [2], true, 0);
    const b = tracker.begin('1>2', [2], true, 1);
    tracker.ok(b, 5);
    tracker.ok(a, 6);
    tracker.received(2, b, 7);
    tracker.received(2, a, 8);
    // d was sent after c's OK, yet arrives before c
    const c = tracker.begin('1>2', [2], true, 10);
    tracker.ok(c, 11);
    const d = tracker.begin('1>2', [2], true, 12);
    tracker.ok(d, 13);
    tracker.received(2, d, 14);
    tracker.received(2, c, 15);
    // another conversation to the same recipient has its own order
    const e = tracker.begin('3>2', [2], true, 20);
    tracker.ok(e, 21);
    tracker.received(2, e, 22);

    expect(tracker.verdict()).toMatchObject({
      reordered: 1,
      problems: ['1 deliveries arrived before a message accepted earlier'],
    });
  });

  it('books failures as errors, and a delivery after an ERROR ack as a problem', () => {
    const { tracker, completed } = conversation();
    const refused = tracker.begin('1>2', [2], true, 0);
    tracker.failed(refused, 'recipient queue full', true);
    const timedOut = tracker.begin('1>2', [2], true, 1);
    tracker.failed(timedOut, 'operation has timed out', false);
    tracker.received(2, timedOut, 40); // stored although unanswered: that is allowed
    const unanswered = tracker.begin('1>2', [2], true, 2);

    expect(completed).toEqual([refused, timedOut]);
    expect(tracker.verdict()).toMatchObject({
      errors: 3,
      firstError: 'recipient queue full',
      problems: [],
    });
    tracker.received(2, refused, 50);
    expect(tracker.verdict().problems).toEqual(['1 messages delivered although answered ERROR']);
    expect(unanswered).toBe(2);
  });

  it('settles once every send is answered and delivered, or gives up at the limit', async () => {
    const { tracker } = conversation();
    const id = tracker.begin('1>2', [2], true);
    expect(await tracker.settle(20, 1)).toBe(false); // not answered
    tracker.ok(id);
    expect(await tracker.settle(20, 1)).toBe(false); // not delivered
    setTimeout(() => tracker.received(2, id), 5);
    expect(await tracker.settle(1_000, 1)).toBe(true);
  });
});

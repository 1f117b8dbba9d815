import { counterDelta, counterValue } from './metrics';

const EXPOSITION = `# HELP bowl_notices_received_total Notices this instance received.
# TYPE bowl_notices_received_total counter
bowl_notices_received_total{kind="direct"} 120
bowl_notices_received_total{kind="group"} 30
bowl_notices_received_total_created 1.7e9
bowl_messages_delivered_total 75
`;

describe('counterValue', () => {
  it('sums a counter over its label sets and ignores longer names and comments', () => {
    expect(counterValue(EXPOSITION, 'bowl_notices_received_total')).toBe(150);
    expect(counterValue(EXPOSITION, 'bowl_messages_delivered_total')).toBe(75);
  });

  it('is undefined for a counter that is absent', () => {
    expect(counterValue(EXPOSITION, 'bowl_acks_total')).toBeUndefined();
    expect(counterValue('', 'bowl_messages_delivered_total')).toBeUndefined();
  });

  it('subtracts two scrapes, undefined where either lacks the counter', () => {
    expect(
      counterDelta(
        { noticesReceived: 100, messagesDelivered: undefined },
        { noticesReceived: 150, messagesDelivered: 75 },
      ),
    ).toEqual({ noticesReceived: 50, messagesDelivered: undefined });
  });
});

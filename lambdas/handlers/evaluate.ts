// PLACEHOLDER (being written in issue 4 by the lead): evaluate QueueObservation / edge alarm events.
export const handler = async (): Promise<void> => {
  throw new Error('evaluate handler not wired yet');
};

// PLACEHOLDER (being written in issue 4 by the lead): poll Genesys queue observations, emit events, reconcile.
export const handler = async (): Promise<void> => {
  throw new Error('poll-observations handler not wired yet');
};

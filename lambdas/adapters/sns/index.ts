export * from './pagerduty-event';
export * from './sns-pager';

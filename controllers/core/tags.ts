/** Tag logwarden puts on every resource it creates (trails, flow logs, detectors). */
export const MANAGED_TAG = 'logwarden:managed';

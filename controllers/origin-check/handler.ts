import { createOriginCheckHandler } from './index.js';

/** Lambda entry point of the central origin check. */
export const handler = createOriginCheckHandler();

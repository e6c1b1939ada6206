import { createKnexConfig } from '@parley/db';

export default createKnexConfig(process.env);

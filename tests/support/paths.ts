import path from 'node:path';
import { projectRoot } from '../../src/config.ts';

export { projectRoot };
/** The shared fixtures are read in place, never copied into the project. */
export const sharedFixtures = path.resolve(projectRoot, '..', 'shared', 'fixtures');

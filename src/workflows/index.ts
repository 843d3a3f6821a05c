export { postgresCredentialsRotation } from './rotation-workflow.js';

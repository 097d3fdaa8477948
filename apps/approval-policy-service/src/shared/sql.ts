// The one definition lives in @kairos/persistence.
export { returnedRows } from '@kairos/persistence';

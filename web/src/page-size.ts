/** Dashboard rows rendered at first (failed ones sort first); more on request. Keeps 1,000 rotations quick to show. */
export const PAGE_ROWS = 100;

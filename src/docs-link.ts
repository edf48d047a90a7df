/**
 * Where the documentation is for someone who has only the installed package (docs/ is not in
 * it): the repository. Messages and --help link pages here rather than to local paths.
 */
export const DOCS_URL = 'https://github.com/clerk-sync/clerk-sync/blob/main/docs';

/** `docsLink('deploy.md#backups')` → the page on the repository. */
export const docsLink = (page: string): string => `${DOCS_URL}/${page}`;

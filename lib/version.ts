/** The release version; a test keeps it equal to package.json's. */
export const VERSION = '0.1.0';
export const SERVICE_NAME = 'sealos-state-metrics';
/** The product token this process puts in its requests' User-Agent. */
export const USER_AGENT = `${SERVICE_NAME}/${VERSION}`;

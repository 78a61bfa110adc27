/** The account forms' limits and field names, without zod (browser-safe). */

/**
 * Password length bounds, repeated here because this module is browser-safe and the policy module is not;
 * tests/unit/password-policy.test.ts checks both agree. The common-password check runs on the server.
 */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;
export const EMAIL_MAX_LENGTH = 254;
export const NAME_MAX_LENGTH = 100;
/** Name of the registration honeypot field: hidden from people, filled by naive bots. */
export const HONEYPOT_FIELD = "fax_number";

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

/** The HTML constraints of the account fields; tests/unit/form-constraints.test.ts checks them against the schemas. */
const FIELDS = {
  name: { required: true, maxLength: NAME_MAX_LENGTH },
  email: { required: true, maxLength: EMAIL_MAX_LENGTH },
  password: { required: true },
  newPassword: { required: true, minLength: PASSWORD_MIN_LENGTH },
} as const;

export const REGISTER_FIELDS = {
  name: FIELDS.name,
  email: FIELDS.email,
  password: FIELDS.newPassword,
} as const;
export const LOGIN_FIELDS = { email: FIELDS.email, password: FIELDS.password } as const;
export const FORGOT_PASSWORD_FIELDS = { email: FIELDS.email } as const;
export const RESET_PASSWORD_FIELDS = { password: FIELDS.newPassword } as const;
export const CHANGE_EMAIL_FIELDS = { email: FIELDS.email, currentPassword: FIELDS.password } as const;
export const CHANGE_PASSWORD_FIELDS = {
  currentPassword: FIELDS.password,
  newPassword: FIELDS.newPassword,
} as const;

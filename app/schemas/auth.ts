import { z } from "zod";
import { NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./auth-options";
import { email as emailField } from "./primitives";

export * from "./auth-options";

const email = emailField("your email address");

/** A password being chosen: length only here; the server also refuses common ones. */
const newPassword = z
  .string({ error: "Choose a password." })
  .min(1, "Choose a password.")
  .min(PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters.`)
  .max(PASSWORD_MAX_LENGTH, `Use at most ${PASSWORD_MAX_LENGTH} characters.`);

/** A password being checked: never judged by the current policy, only bounded. */
const existingPassword = z
  .string({ error: "Enter your password." })
  .min(1, "Enter your password.")
  .max(1024, "Enter your password.");

/** Tokens from emailed links: base64url, 43 characters when we make them. */
const token = z
  .string({ error: "This link is incomplete." })
  .regex(/^[A-Za-z0-9_-]{20,100}$/, "This link is incomplete.");

/** Control and invisible formatting characters (bidirectional overrides included), never part of a name. */
const NAME_CONTROL = /[\p{Cc}\u200b\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/u;
/**
 * What makes a name a link in the emails it is copied into: a scheme ("https://"), "www.", an address with
 * "@", or a domain-like "word.word" ("evil.example"; initials such as "J.R.R. Tolkien" stay fine).
 */
const NAME_LINK = /:\/\/|www\.|@|[\p{L}\p{N}-]{2,}\.[\p{L}\p{N}]{2,}|\.(com|net|org|io|ly)\b/iu;

/** A person's name as typed at registration: copied into the confirmation email, so only a plain name. */
const personName = z
  .string({ error: "Enter your full name." })
  .trim()
  .min(1, "Enter your full name.")
  .max(NAME_MAX_LENGTH, `Use at most ${NAME_MAX_LENGTH} characters.`)
  .refine((name) => !NAME_CONTROL.test(name), "Your name cannot contain control or invisible characters.")
  .refine((name) => !NAME_LINK.test(name), "Enter your name only, without web or email addresses.");

export const RegisterSchema = z.object({
  name: personName,
  email,
  password: newPassword,
});
export type RegisterInput = z.infer<typeof RegisterSchema>;

export const LoginSchema = z.object({
  email,
  password: existingPassword,
  /** Where to go after signing in; anything odd is dropped (safeRedirect still checks what is left). */
  redirectTo: z.string().max(2000).optional().catch(undefined),
});

export const ForgotPasswordSchema = z.object({ email });

export const ResetPasswordSchema = z.object({ token, password: newPassword });

export const TokenSchema = z.object({ token });

export const ChangeEmailSchema = z.object({
  intent: z.literal("change-email"),
  email,
  currentPassword: existingPassword,
});

export const ChangePasswordSchema = z.object({
  intent: z.literal("change-password"),
  currentPassword: existingPassword,
  newPassword,
});

export const ResendVerificationSchema = z.object({ intent: z.literal("resend-verification") });

/** The three forms of the account page, told apart by their `intent` button value. */
export const AccountActionSchema = z.discriminatedUnion("intent", [
  ChangeEmailSchema,
  ChangePasswordSchema,
  ResendVerificationSchema,
]);

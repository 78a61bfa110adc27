import { describe, expect, it } from "vitest";
import {
  CHANGE_EMAIL_FIELDS,
  CHANGE_PASSWORD_FIELDS,
  ChangeEmailSchema,
  ChangePasswordSchema,
  FORGOT_PASSWORD_FIELDS,
  ForgotPasswordSchema,
  LOGIN_FIELDS,
  LoginSchema,
  REGISTER_FIELDS,
  RESET_PASSWORD_FIELDS,
  RegisterSchema,
  ResetPasswordSchema,
} from "../../app/schemas/auth";
import { constraintsOf } from "../../app/schemas/constraints";
import { EDITION_FIELDS, EditionCreateSchema, EditionUpdateSchema } from "../../app/schemas/edition";
import { OrganisationSchema } from "../../app/schemas/organisation";
import { ORGANISATION_FIELDS } from "../../app/schemas/organisation-options";

// Each form's HTML constraints (zod-free, in the browser bundle) are the ones its schema checks.
describe("form constraints agree with their schemas", () => {
  it.each([
    ["register", REGISTER_FIELDS, RegisterSchema],
    ["login", LOGIN_FIELDS, LoginSchema],
    ["forgot password", FORGOT_PASSWORD_FIELDS, ForgotPasswordSchema],
    ["reset password", RESET_PASSWORD_FIELDS, ResetPasswordSchema],
    ["change email", CHANGE_EMAIL_FIELDS, ChangeEmailSchema],
    ["change password", CHANGE_PASSWORD_FIELDS, ChangePasswordSchema],
    ["organisation", ORGANISATION_FIELDS, OrganisationSchema],
    ["edition (new)", EDITION_FIELDS, EditionCreateSchema],
    ["edition (edit)", EDITION_FIELDS, EditionUpdateSchema],
  ] as const)("%s", (_name, fields, schema) => {
    expect(constraintsOf(schema)).toMatchObject(fields);
  });

  it("reads required, lengths and number bounds through wrappers", () => {
    expect(constraintsOf(RegisterSchema)).toEqual({
      name: { required: true, maxLength: 100 },
      email: { required: true, maxLength: 254 },
      password: { required: true, minLength: 10, maxLength: 128 },
    });
    expect(constraintsOf(EditionCreateSchema).year).toEqual({ min: 2000, max: 2100 });
    expect(constraintsOf(LoginSchema).redirectTo).toEqual({ maxLength: 2000 });
  });
});

import { Type } from 'typebox';

/** What every new person gives: in `POST /users` and in first-run setup. */
export const NewUserFields = {
  email: Type.String({ minLength: 3, maxLength: 254 }),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
};

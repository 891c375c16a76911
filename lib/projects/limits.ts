/** Project field limits; a separate module so client components can import them without zod. */
export const PROJECT_NAME_MAX = 80;
export const PROJECT_DESCRIPTION_MAX = 2_000;
export const PROJECT_PROMPT_MAX = 20_000;
export const PROJECT_FRAMEWORK_MAX = 40;
/** A project's remembered model: an opaque ModelOption id (lib/ai/model-options.ts). */
export const PROJECT_MODEL_MAX = 300;

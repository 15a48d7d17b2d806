/**
 * A zod schema (or a set of schemas built together) built the first time it is asked for, then kept.
 * Building a zod schema costs far more than parsing with it, and a Lambda pays at cold start for every
 * schema its modules build at load, used or not: schemas built at import were most of the evaluate
 * function's own load time (docs/architecture.md#cold-start). Parsing is unchanged: the same schema,
 * the same issues, the same messages.
 */
export function lazySchema<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

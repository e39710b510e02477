/**
 * Every string an object shows through its own properties, as the console, `Object.keys`, JSON
 * or another extension reading a property by name would find it: its own property values, and
 * what plain objects, arrays, Maps and Sets among them hold. Other class instances are
 * neighbours with their own tests, so they are not entered.
 */
export function ownStrings(object: object): string[] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      found.push(value);
      return;
    }
    if (!value || typeof value !== 'object' || seen.has(value)) {
      return;
    }
    seen.add(value);
    if (value instanceof Map) {
      value.forEach((v, k) => (visit(k), visit(v)));
    } else if (value instanceof Set || Array.isArray(value)) {
      value.forEach(visit);
    } else if (
      Object.getPrototypeOf(value) === Object.prototype ||
      Object.getPrototypeOf(value) === null
    ) {
      Reflect.ownKeys(value).forEach(key =>
        visit((value as Record<PropertyKey, unknown>)[key])
      );
    }
  };
  for (const key of Reflect.ownKeys(object)) {
    visit((object as Record<PropertyKey, unknown>)[key]);
  }
  return found;
}

/**
 * Whether some string the object shows holds the secret.
 */
export function showsSecret(object: object, secret: string): boolean {
  return ownStrings(object).some(text => text.includes(secret));
}

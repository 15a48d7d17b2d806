// Finds the line of a key path in a JSON document, so a config error can say `surge.json:14: …`.
// A small scanner over already-valid JSON (JSON.parse ran first): it walks the document tracking the
// current path and line, and remembers the line of the deepest prefix of the wanted path it meets.

/** 1-based line of `path` (e.g. ['tiers', 'tier1', 'restore']) or of its deepest written ancestor. */
export function lineOfJsonPath(text: string, path: readonly (string | number)[]): number | undefined {
  const want = path.map(String);
  let i = 0;
  let line = 1;
  // The root itself is not a useful location: only keys and array items are noted.
  let best: number | undefined;
  let bestDepth = 0;

  const skipWs = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      else if (c !== 32 && c !== 9 && c !== 13) return;
      i++;
    }
  };
  const readString = (): string => {
    let out = '';
    i++; // opening quote
    for (;;) {
      const c = text[i++];
      if (c === undefined || c === '"') return out;
      if (c === '\\') {
        const e = text[i++];
        if (e === 'u') {
          out += String.fromCharCode(Number.parseInt(text.slice(i, i + 4), 16));
          i += 4;
        } else
          out += ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[e ?? ''] ?? e;
      } else out += c;
    }
  };
  const note = (depth: number, matches: boolean): void => {
    if (matches && depth > bestDepth) {
      bestDepth = depth;
      best = line;
    }
  };
  // `matches`: the path so far equals want[0..depth); values below a non-matching key are skipped.
  const value = (depth: number, matches: boolean): void => {
    skipWs();
    const c = text[i];
    if (c === '{') {
      i++;
      skipWs();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        skipWs();
        const key = readString();
        const keyMatches = matches && want[depth] === key;
        note(depth + 1, keyMatches);
        skipWs();
        i++; // colon
        value(depth + 1, keyMatches);
        skipWs();
        if (text[i++] !== ',') return;
      }
    } else if (c === '[') {
      i++;
      skipWs();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let index = 0; ; index++) {
        skipWs();
        const itemMatches = matches && want[depth] === String(index);
        note(depth + 1, itemMatches);
        value(depth + 1, itemMatches);
        skipWs();
        if (text[i++] !== ',') return;
      }
    } else if (c === '"') {
      readString();
    } else {
      while (i < text.length && !',}]'.includes(text[i] as string) && !/\s/.test(text[i] as string)) i++;
    }
  };

  value(0, true);
  return best;
}

/** 1-based line of a character offset. */
export function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let k = 0; k < offset && k < text.length; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}

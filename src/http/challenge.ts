/**
 * `WWW-Authenticate` challenges (RFC 9110 §11.6.1; RFC 6750 §3: `Bearer error="invalid_token",
 * error_description="…"`), for the OAuth error fields of a refused token request or API call.
 * (oauth4webapi parses them inside its response processing only; it does not export a parser.)
 *
 * @module
 */

/** A `WWW-Authenticate` challenge: its scheme and the OAuth error fields it carries. */
export interface AuthChallenge {
  /** The scheme, lowercased (`bearer`). */
  readonly scheme: string;
  /** The OAuth error code, such as `invalid_token`. */
  readonly error: string | undefined;
  /** The server's description of what is wrong. */
  readonly error_description: string | undefined;
}

/** A token (RFC 9110 §5.6.2), then `= token`, `= "quoted string"` or nothing. */
const PART = /([\w!#$%&'*+.^`|~-]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*)))?/g;

/**
 * The challenges of `header`: a lone token starts a challenge (its scheme), `name=value` pairs are its
 * parameters (names lowercased, quoted values unescaped). A token68 reads as a parameter. @internal
 */
export function challengesOf(header: string | null): { scheme: string; parameters: Record<string, string> }[] {
  const challenges: { scheme: string; parameters: Record<string, string> }[] = [];
  for (const [, name, quoted, bare] of (header ?? "").matchAll(PART)) {
    if (quoted === undefined && bare === undefined) {
      challenges.push({ scheme: name!.toLowerCase(), parameters: {} });
    } else {
      const parameters = challenges.at(-1)?.parameters;
      if (parameters) parameters[name!.toLowerCase()] = quoted?.replace(/\\(.)/g, "$1") ?? bare!;
    }
  }
  return challenges;
}

/** The challenge of `response` that names an error (else its first), with its OAuth error fields. @internal */
export function challengeOf(response: Response): AuthChallenge | undefined {
  const challenges = challengesOf(response.headers.get("www-authenticate"));
  const challenge = challenges.find((c) => c.parameters.error) ?? challenges[0];
  return challenge && {
    scheme: challenge.scheme,
    error: challenge.parameters.error,
    error_description: challenge.parameters.error_description,
  };
}

// Keeps the CloudFront Function inside what the cloudfront-js-2.0 runtime accepts: the 10 KB size quota,
// no require/eval/timers, one import (`cloudfront`), and only the syntax the runtime documents
// (ES 5.1 plus const/let, arrow functions, template literals, rest parameters, ** and a top-level async handler).
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CLOUDFRONT_FUNCTION_MAX_BYTES } from '../../../lambdas/edge/edge-config';
import { EdgeConfigError } from '../../../lambdas/edge/errors';
import { renderWidgetThrottleFunction } from '../../../lambdas/edge/render';

const defaults = renderWidgetThrottleFunction({
  stub: { email: 'help@example.com', faqUrl: 'https://example.com/faq' },
});
// Realistic upper end of what a user writes: long sentences, long URLs.
const verbose = renderWidgetThrottleFunction({
  messengerScriptPath: '/assets/vendor/genesys/genesys-bootstrap/genesys.min.js',
  stub: {
    message: 'Our chat is at full capacity right now because of very high demand during the sale.',
    detail:
      'Please e-mail us and we will answer within one business day, or find quick answers in our help centre.',
    email: 'customer-service-team@subsidiary.example-retailer.co.uk',
    faqUrl:
      'https://help.example-retailer.co.uk/hc/en-gb/categories/360001234567-Orders-and-Delivery?src=chat',
    chatButtonSelector: '#chat-launcher, .header__chat-button, [data-cx-chat-button]',
  },
});

/** Syntax the runtime does not document as supported; each entry names what it found. */
function unsupportedSyntax(code: string): string[] {
  const source = ts.createSourceFile('fn.js', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const found: string[] = [];
  const parseErrors = (source as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  for (const d of parseErrors)
    found.push(`parse error: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  const at = (n: ts.Node) =>
    `${ts.SyntaxKind[n.kind]} at ${source.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const isAsync = (n: ts.Node) =>
    ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
  const visit = (n: ts.Node, depth: number): void => {
    if (
      ts.isClassDeclaration(n) ||
      ts.isClassExpression(n) ||
      ts.isForOfStatement(n) ||
      ts.isSpreadElement(n) ||
      ts.isSpreadAssignment(n) ||
      ts.isObjectBindingPattern(n) ||
      ts.isArrayBindingPattern(n) ||
      ts.isShorthandPropertyAssignment(n) ||
      ts.isMethodDeclaration(n) ||
      ts.isGetAccessor(n) ||
      ts.isSetAccessor(n) ||
      ts.isComputedPropertyName(n) ||
      ts.isTaggedTemplateExpression(n) ||
      ts.isExportDeclaration(n) ||
      ts.isExportAssignment(n) ||
      ts.isYieldExpression(n) ||
      n.kind === ts.SyntaxKind.QuestionDotToken ||
      n.kind === ts.SyntaxKind.QuestionQuestionToken
    ) {
      found.push(at(n));
    }
    if (ts.isParameter(n) && n.initializer) found.push(`default parameter ${at(n)}`);
    if ((ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n)) && n.asteriskToken)
      found.push(`generator ${at(n)}`);
    // "async arguments and closures are not supported": only top-level async function declarations.
    if (isAsync(n) && !(ts.isFunctionDeclaration(n) && depth === 1)) found.push(`nested async ${at(n)}`);
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword)
      found.push(`dynamic import ${at(n)}`);
    if (
      ts.isIdentifier(n) &&
      ['require', 'eval', 'Function', 'setTimeout', 'setInterval', 'fetch'].includes(n.text)
    ) {
      found.push(`restricted global '${n.text}' ${at(n)}`);
    }
    if (ts.isImportDeclaration(n) && (n.moduleSpecifier as ts.StringLiteral).text !== 'cloudfront') {
      found.push(`import of '${(n.moduleSpecifier as ts.StringLiteral).text}'`);
    }
    ts.forEachChild(n, (c) => visit(c, depth + 1));
  };
  visit(source, 0);
  return found;
}

describe('CloudFront Function limits', () => {
  it.each([
    ['default texts', defaults],
    ['verbose texts', verbose],
  ])('stays under the 10 KB function size quota with %s', (_case, code) => {
    expect(Buffer.byteLength(code, 'utf8')).toBeLessThanOrEqual(CLOUDFRONT_FUNCTION_MAX_BYTES);
  });

  it('refuses at synth time to render a function over the quota, naming the setting', () => {
    const render = () =>
      renderWidgetThrottleFunction({
        stub: {
          email: 'help@example.com',
          faqUrl: '/faq',
          detail: 'x'.repeat(CLOUDFRONT_FUNCTION_MAX_BYTES),
        },
      });

    expect(render).toThrow(EdgeConfigError);
    expect(render).toThrow(/^stub: .*over the 10240-byte quota/);
  });

  it('uses only syntax and globals the cloudfront-js-2.0 runtime supports', () => {
    expect(unsupportedSyntax(defaults)).toEqual([]);
  });

  it('imports nothing but the cloudfront module, and only on the first line', () => {
    const imports = defaults.split('\n').filter((line) => /^\s*import\b/.test(line));

    expect(imports).toEqual(["import cf from 'cloudfront';"]);
    expect(defaults.split('\n')[0]).toBe("import cf from 'cloudfront';");
  });

  it('declares handler as a top-level function', () => {
    expect(defaults).toMatch(/^async function handler\(event\) \{$/m);
  });

  // The checker itself must catch what it claims to; otherwise a green run above means nothing.
  it.each([
    ['const { a } = b;', /ObjectBindingPattern/],
    ['const x = a?.b;', /QuestionDotToken/],
    ['const x = a ?? b;', /QuestionQuestionToken/],
    ['for (const x of y) {}', /ForOfStatement/],
    ['const f = async () => 1;', /nested async/],
    ['const m = require("crypto");', /restricted global 'require'/],
    ['setTimeout(f, 1);', /restricted global 'setTimeout'/],
    ["import x from 'crypto';", /import of 'crypto'/],
    ['class A {}', /ClassDeclaration/],
    ['function f(a = 1) {}', /default parameter/],
    ['const o = { a };', /ShorthandPropertyAssignment/],
  ])('the syntax check rejects %s', (snippet, finding) => {
    expect(unsupportedSyntax(snippet).join('\n')).toMatch(finding);
  });
});

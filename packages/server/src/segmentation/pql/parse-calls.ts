/**
 * Function and method calls: looks the name up in the function table (an unknown name is an
 * error that names it, with a "did you mean"), checks that methods are called on a receiver and
 * global functions are not, parses the arguments — per-element ones in a new implicit scope —
 * and checks arity, the case-sensitivity flag and literal-only arguments.
 *
 * @example
 *   // person.name.contains("Joe", false) → fnApply('contains', [person.name, "Joe", false])
 *   // x.contanis("a") → error 'unknown function "contanis" (did you mean "contains"?)'
 */
import type { Expr, Span } from './ast.ts';
import { closestFunctionName, describeArity, functionSpec, type FunctionSpec } from './functions.ts';
import type { Token } from './lexer.ts';
import type { Parser } from './parser.ts';

/** `name(args)` (global, `receiver` undefined) or `receiver.name(args)` (method); `(` is next. */
export function parseCall(p: Parser, name: string, nameToken: Token, receiver: Expr | undefined, start: Token): Expr {
  const spec = functionSpec(name);
  if (!spec) {
    const hint = closestFunctionName(name);
    p.failWith(nameToken, `unknown function "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
  }
  if (receiver && spec.syntax !== 'method') {
    p.failWith(nameToken, spec.syntax === 'global' ? `"${name}" is not a method: write ${name}(...)` : `"${name}" is an operator, not a method`);
  }
  if (!receiver && spec.syntax !== 'global') {
    p.failWith(nameToken, spec.syntax === 'method' ? `"${name}" is a method: write value.${name}(...)` : `"${name}" is an operator, not a function`);
  }
  p.expectSymbol('(');
  let index = 0;
  const args = p.nested(() =>
    p.parseList(')', () => {
      const isElementArg = spec.elementArgs?.includes(index++) === true;
      return isElementArg && !p.isLambdaAhead() ? p.withImplicitScope(() => p.parseExpression()) : p.parseExpression();
    }),
  );
  const span = p.spanFrom(start);
  checkArguments(p, spec, args, nameToken, span);
  return { nodeType: 'fnApply', fnName: name, params: receiver ? [receiver, ...args] : args, span };
}

function checkArguments(p: Parser, spec: FunctionSpec, args: Expr[], nameToken: Token, callSpan: Span): void {
  if (args.length < spec.minArgs || args.length > spec.maxArgs) {
    p.reportSpan(callSpan, nameToken, `${spec.name} takes ${describeArity(spec)} but got ${args.length}`);
    return;
  }
  const flag = spec.caseFlagArg !== undefined ? args[spec.caseFlagArg] : undefined;
  if (flag && !(flag.nodeType === 'literal' && flag.literalType === 'Boolean')) {
    p.reportSpan(flag.span, nameToken, `the case-sensitivity flag of ${spec.name} must be true or false`);
  }
  for (const i of spec.integerLiteralArgs ?? []) {
    const arg = args[i];
    if (arg && !(arg.nodeType === 'literal' && arg.literalType === 'Integer' && arg.value >= 0)) {
      p.reportSpan(arg.span, nameToken, `argument ${i + 1} of ${spec.name} must be a non-negative whole number`);
    }
  }
  for (const i of spec.stringLiteralArgs ?? []) {
    const arg = args[i];
    if (arg && !(arg.nodeType === 'literal' && arg.literalType === 'String')) {
      p.reportSpan(arg.span, nameToken, `argument ${i + 1} of ${spec.name} must be a string in double quotes`);
    }
  }
}

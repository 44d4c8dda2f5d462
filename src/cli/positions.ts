// "file:line:column: severity: message" for spec issues, the form editors and CI logs can jump to.
import type { SpecIssue } from '../engine/spec/model-spec';

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

export function positioned(file: string, text: string, issue: SpecIssue): string {
  const { line, column } = lineColumn(text, issue.offset);
  return `${file}:${line}:${column}: ${issue.severity}: ${issue.message}`;
}

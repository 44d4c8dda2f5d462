export { applyFix, computeFixEdits, fixTitle, FIXES, type TextEdit } from './fixes';
export { FixError } from './model-text';

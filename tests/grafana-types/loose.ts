// Loose<T>: the same shape as T, except that TypeScript string enums (e.g.
// TooltipDisplayMode, SortOrder, LegendDisplayMode, BigValueColorMode,
// VizOrientation, FieldColorModeId, ThresholdsMode) become the union of their
// string values, so that plain JSON string literals such as "multi" are
// accepted while "bogus" is still rejected.
//
// It is a homomorphic mapped type, so optional/required modifiers are kept and
// object literals checked against it still get excess-property errors
// (verified by fixtures/bad/*). Numeric enums (VariableHide, DashboardCursorSync,
// ...) are left alone: TypeScript already accepts a number literal that equals
// one of their members and rejects one that doesn't.
//
// The conditional type distributes over unions (Panel | RowPanel, number | null,
// ...), which keeps discriminated unions working.
export type Loose<T> =
  T extends string ? `${T}` :
  T extends readonly (infer U)[] ? Loose<U>[] :
  T extends object ? { [K in keyof T]: Loose<T[K]> } :
  T;

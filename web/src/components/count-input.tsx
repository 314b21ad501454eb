import type { InputHTMLAttributes } from 'react';

type Props = Omit<InputHTMLAttributes<HTMLInputElement>, 'type' | 'inputMode' | 'value' | 'onChange'> & {
  value: string;
  onChange: (value: string) => void;
};

/** A count (uses, credits, a window's length): a number field with the numeric keyboard on phones. */
export function CountInput({ onChange, ...props }: Props) {
  return <input {...props} type="number" inputMode="numeric" onChange={(e) => onChange(e.target.value)} />;
}

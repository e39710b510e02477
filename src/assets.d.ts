declare module '*.svg' {
  const value: string;
  export default value;
}

declare module '*.raw.css' {
  const value: string;
  export default value;
}

// Element types: MLflow tensor-spec dtypes are numpy names (float32, int64, bool, str, object …),
// onnxruntime's are its own (float32, int64, bool, string …). Both meet in one of four kinds.

export type DtypeKind = "float" | "int" | "bool" | "string";

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

const KINDS: Record<string, DtypeKind> = {
  float16: "float",
  float32: "float",
  float64: "float",
  double: "float",
  float: "float",
  int8: "int",
  int16: "int",
  int32: "int",
  int64: "int",
  uint8: "int",
  uint16: "int",
  uint32: "int",
  uint64: "int",
  bool: "bool",
  string: "string",
  str: "string",
  object: "string",
  bytes: "string",
};

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  uint64: [0, Number.MAX_VALUE],
};

export function dtypeKind(dtype: string): DtypeKind | null {
  return KINDS[dtype] ?? null;
}

export function intInRange(dtype: string, v: number): boolean {
  const range = INT_RANGES[dtype];
  return !range || (v >= range[0] && v <= range[1]);
}

/** A zeroed buffer for an onnxruntime tensor of `type`, plus a writer that takes JS values. */
export function allocate(type: string, size: number): { data: TensorData; set: (i: number, v: number | boolean | string) => void } {
  const numeric = <T extends Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>>(data: T) => ({
    data,
    set: (i: number, v: number | boolean | string) => {
      data[i] = typeof v === "number" ? v : v === true ? 1 : 0;
    },
  });
  switch (type) {
    case "float32":
      return numeric(new Float32Array(size));
    case "float64":
      return numeric(new Float64Array(size));
    case "int8":
      return numeric(new Int8Array(size));
    case "uint8":
    case "bool":
      return numeric(new Uint8Array(size));
    case "int16":
      return numeric(new Int16Array(size));
    case "uint16":
      return numeric(new Uint16Array(size));
    case "int32":
      return numeric(new Int32Array(size));
    case "uint32":
      return numeric(new Uint32Array(size));
    case "int64": {
      const data = new BigInt64Array(size);
      return { data, set: (i, v) => void (data[i] = BigInt(typeof v === "number" ? v : v === true ? 1 : 0)) };
    }
    case "uint64": {
      const data = new BigUint64Array(size);
      return { data, set: (i, v) => void (data[i] = BigInt(typeof v === "number" ? v : v === true ? 1 : 0)) };
    }
    case "string": {
      const data = new Array<string>(size).fill("");
      return { data, set: (i, v) => void (data[i] = String(v)) };
    }
    default:
      throw new Error(`Model inputs of type ${type} are not supported`);
  }
}

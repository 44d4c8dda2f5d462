// The plain data that crosses the wire (engine -> worker -> extension -> panel, and the CLI's reports):
// training metrics, probe statistics, findings, model summaries and pictures. Everything here is
// structured-clone and JSON friendly (numbers may be NaN/Infinity; protocol.ts encodes those explicitly
// before JSON transport).

export type DType = 'float32' | 'float64';

/** Where a thing sits in the `.nn.json` text, as a JSON path (e.g. ["layers", 2, "units"]). */
export type JsonPath = (string | number)[];

/** A layer as the user wrote it in `layers[index]`; expanded layers (a dense `activation` shorthand) point back to it. */
export interface LayerRef {
  /** Index into the file's `layers` array. */
  index: number;
  /** The layer's name (given or default, e.g. `dense_1`). */
  name: string;
}

export interface ModelLayerSummary extends LayerRef {
  /** Position in the engine's expanded layer list (dense + its shorthand activation are two entries). */
  position: number;
  kind: string;
  inputSize: number;
  outputSize: number;
  /** `[features]` or `[C, H, W]` (summaries written by older versions lack it: read `outputSize`). */
  outputShape?: number[];
  paramCount: number;
  /**
   * Activation std this layer's output should have at the start of training, propagated from the data's
   * post-preprocess feature scale through every initialiser and activation before it (null: not predicted).
   */
  predictedActivationStd?: number | null;
}

export interface ModelSummary {
  name: string;
  inputs: number;
  outputs: number;
  task: 'classification' | 'regression';
  trainSamples: number;
  valSamples: number;
  paramCount: number;
  layers: ModelLayerSummary[];
  /** Which matrix kernel path the engine picked (e.g. "wasm-simd", "js"). */
  kernel: string;
  dtype: DType;
}

export interface StepMetrics {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
}

export interface EpochMetrics {
  epoch: number;
  step: number;
  loss: number;
  accuracy: number | null;
  valLoss: number | null;
  valAccuracy: number | null;
  lr: number;
  durationMs: number;
  samplesPerSecond: number;
}

export interface BatchNormProbe {
  /** Mean over features of |batch mean - running mean| / sqrt(running var + eps). */
  meanShift: number;
  /** Mean over features of batch var / running var. */
  varRatio: number;
  batchMean: number;
  batchVar: number;
  runningMean: number;
  runningVar: number;
  gammaMean: number;
  gammaMinAbs: number;
  betaMean: number;
}

export interface LayerProbe extends LayerRef {
  position: number;
  kind: string;
  /** L2 norm of the weight gradient (dense: W; norm layers: gamma). */
  gradNorm: number | null;
  biasGradNorm: number | null;
  weightNorm: number | null;
  /** ||W_after - W_before|| / ||W_before|| for this step. */
  updateRatio: number | null;
  /** Counts of |grad| over HISTOGRAM_EDGES (shared/histogram-edges.ts, log-spaced) for the weight gradient; zeros counted in bin 0. */
  histogram: number[] | null;
  activationMean: number | null;
  activationStd: number | null;
  /** Fraction of units dead over the probe batch (ReLU family only). */
  deadRatio: number | null;
  /** Fraction of outputs in the saturated region (sigmoid/tanh only). */
  saturationRatio: number | null;
  batchNorm: BatchNormProbe | null;
  /** Non-finite entries seen in this layer's output, gradient or parameters at this probe. */
  nonFinite: number;
  /** Per-channel statistics of image layers (absent or null for layers on flat features). */
  channels?: ChannelProbe | null;
}

/** One value per channel (conv: per filter), index = channel. Each is null where it does not apply. */
export interface ChannelProbe {
  /** conv2d: L2 norm of each filter's weight gradient. */
  gradNorm: number[] | null;
  /** conv2d: ‖w_after - w_before‖ / ‖w_before‖ of each filter for this step. */
  updateRatio: (number | null)[] | null;
  /** Mean and standard deviation of the layer's output per channel over the batch and positions. */
  activationMean: number[];
  activationStd: number[];
  /** ReLU family on an image: 1 for a dead filter (never active at any sample and position), else 0. */
  dead: number[] | null;
  /** sigmoid/tanh on an image: fraction of the channel's outputs in the saturated region. */
  saturation: number[] | null;
  /** Batch norm on an image: each channel's batch moments (over N·H·W) and running statistics. */
  batchNorm: { batchMean: number[]; batchVar: number[]; runningMean: number[]; runningVar: number[] } | null;
  /** Histograms of at most CHANNEL_HISTOGRAMS channels (probes/channel-histograms.ts); absent from recorded runs. */
  histograms?: ChannelHistograms | null;
}

/** Per-channel histograms of an image layer, for the channels picked (all of them when there are few). */
export interface ChannelHistograms {
  /** The channels shown, worst first; `activation[k]` and `gradient[k]` belong to `channels[k]`. */
  channels: number[];
  /** How they were picked: every channel, or the worst by share stuck (dead or saturated), by smallest filter gradient norm, or by smallest output spread. */
  rankedBy: 'all' | 'stuck' | 'gradient' | 'spread';
  /** The channel's outputs over the batch and its positions, in the pictures' histogram shape. */
  activation: ValueHistogram[];
  /** conv2d: |weight gradient| of each filter over HISTOGRAM_EDGES, as LayerProbe.histogram; null for layers without weights. */
  gradient: number[][] | null;
}

export interface ClippingProbe {
  mode: 'norm' | 'value';
  /** Fraction of steps clipped since the previous probe. */
  clippedFraction: number;
  normBefore: number;
  normAfter: number;
}

export interface ProbeSnapshot {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  layers: LayerProbe[];
  clipping: ClippingProbe | null;
}

export type Severity = 'error' | 'warning' | 'info';

export type FindingCode =
  | 'exploding-gradients'
  | 'vanishing-gradients'
  | 'dead-relu'
  | 'saturated-activation'
  | 'non-finite'
  | 'loss-diverging'
  | 'loss-plateau'
  | 'loss-oscillating'
  | 'overfitting'
  | 'unnormalized-input'
  | 'unscaled-targets'
  | 'poor-initialization'
  | 'update-ratio'
  | 'batchnorm-unstable'
  | 'dropout-too-high'
  | 'missing-activation'
  | 'output-loss-mismatch';

export interface Evidence {
  /** What was measured, e.g. "gradient L2 norm". */
  metric: string;
  value: number;
  threshold: number;
  comparison: '>' | '<' | '>=' | '<=' | '=';
  /** The steps over which the rule saw the condition hold. */
  fromStep: number | null;
  toStep: number | null;
  /** Extra named numbers behind the decision. */
  details: Record<string, number | string>;
}

export interface FixRef {
  /** Self-contained fix id, e.g. "clip-norm:5", "reinit:dense_1:he", "lr:0.001" (see fixes/). */
  id: string;
  title: string;
  preferred: boolean;
}

/** One layer a finding concerns, with the number that puts it there (the rule's metric for that layer). */
export interface AffectedLayer {
  layer: LayerRef;
  value: number;
  note?: string;
}

/** The idea behind a finding, in a learner's words, with a page that explains it. */
export interface Concept {
  title: string;
  text: string;
  url: string;
}

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** The primary layer (where the problem shows first), or null for a whole-model finding. */
  layer: LayerRef | null;
  /** Every layer this cause affects, the primary one first; its preferred fix edits all of them at once. */
  layers: AffectedLayer[];
  /** For whole-model findings: the top-level field it concerns (e.g. "optimizer", "data"). */
  field: string | null;
  message: string;
  evidence: Evidence;
  fixes: FixRef[];
  /** The concept to learn, linked. */
  concept: Concept;
  /** When a cause explains this symptom: the cause's code (the symptom is then information). */
  explainedBy?: FindingCode;
}

export type RunStatus = 'completed' | 'early-stopped' | 'stopped' | 'non-finite' | 'failed';

export interface NonFiniteReport {
  step: number;
  layer: LayerRef | null;
  stage: 'forward' | 'loss' | 'backward' | 'update';
}

export interface RunSummary {
  status: RunStatus;
  epochs: number;
  steps: number;
  durationMs: number;
  samplesPerSecond: number;
  final: { loss: number | null; accuracy: number | null; valLoss: number | null; valAccuracy: number | null };
  nonFinite: NonFiniteReport | null;
  /** Epoch whose weights were restored by early stopping, if any. */
  restoredEpoch: number | null;
}

/**
 * Pictures of the network for the panel's views (decision boundary, network diagram, activation and
 * weight distributions), taken a few times per second at most, within the probe budget.
 */
export interface VisualSnapshot {
  step: number;
  epoch: number;
  /** Only for models with two input features. */
  boundary: DecisionBoundary | null;
  /** Training and validation points in the model's input plane; sent with the run's first picture only. */
  points: PlanePoints | null;
  layers: LayerPicture[];
}

export interface DecisionBoundary {
  /** Cells per side; cell (i, j) is row j (y) and column i (x), row-major from the bottom. */
  size: number;
  x: [number, number];
  y: [number, number];
  /** Classification: the predicted class per cell. Regression: the predicted value per cell. */
  value: number[];
  /** Classification: the predicted class's probability per cell; regression: null. */
  confidence: number[] | null;
  classes: number;
}

export interface PlanePoints {
  /** x0, y0, x1, y1, ... in the model's input space (after preprocessing). */
  train: number[];
  /** Class index or regression target per training point. */
  trainLabels: number[];
  val: number[];
  valLabels: number[];
}

export interface ValueHistogram {
  min: number;
  max: number;
  counts: number[];
}

export interface LayerPicture {
  position: number;
  name: string;
  kind: string;
  /** The layer's outputs over the last training batch (a dense layer's are its activation's inputs). */
  output: ValueHistogram | null;
  /**
   * Per unit, for layers of at most MAX_DRAWN_UNITS: output mean and std over the batch, and the share of
   * the batch where the unit is stuck (a ReLU-family unit inactive, a sigmoid/tanh unit saturated).
   */
  units: { mean: number[]; std: number[]; stuck: number[]; stuckMeans: 'inactive' | 'saturated' | null } | null;
  /** Whether the layer has a weight matrix (it connects every input to every unit). */
  weighted: boolean;
  /** Row-major [inputs x units] weights when both sides have at most MAX_DRAWN_UNITS (the network diagram's links). */
  weights: number[] | null;
  /** Quantiles QUANTILES of the weights and of the weight gradient (null for layers without weights). */
  weightQuantiles: number[] | null;
  gradQuantiles: number[] | null;
}

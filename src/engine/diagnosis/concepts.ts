// What each finding means, in a learner's words, with a page that explains the idea. Shown under the
// finding's own message (which says what was measured on this model).
import type { Concept, FindingCode } from '../types';

export const CONCEPTS: Record<FindingCode, Concept> = {
  'exploding-gradients': {
    title: 'Exploding gradients',
    text: 'Backpropagation multiplies the gradient by every layer\'s weights on its way back. When those factors are larger than 1 the gradient grows layer after layer, and one step can throw the weights far from anything useful.',
    url: 'https://en.wikipedia.org/wiki/Vanishing_gradient_problem',
  },
  'vanishing-gradients': {
    title: 'Vanishing gradients',
    text: 'Backpropagation multiplies the gradient by each layer\'s weights and activation slope. A sigmoid\'s slope is at most 0.25 (tanh\'s at most 1, and far less once saturated), so through many layers the product shrinks towards zero and the first layers stop learning.',
    url: 'https://en.wikipedia.org/wiki/Vanishing_gradient_problem',
  },
  'dead-relu': {
    title: 'Dying ReLU',
    text: 'A ReLU outputs zero, with zero slope, for every negative input. A unit whose input is negative for every sample gets no gradient at all and can never recover on its own.',
    url: 'https://en.wikipedia.org/wiki/Rectifier_(neural_networks)#Potential_problems',
  },
  'saturated-activation': {
    title: 'Saturated sigmoid/tanh units',
    text: 'Sigmoid and tanh flatten out for large inputs: there their slope is almost zero, so the unit barely changes however wrong it is. Inputs to them should stay around -2..2.',
    url: 'https://en.wikipedia.org/wiki/Activation_function',
  },
  'non-finite': {
    title: 'NaN and Infinity in training',
    text: 'Once a value overflows to Infinity or becomes NaN (0/0, Infinity - Infinity), every value computed from it does too, and the weights are lost.',
    url: 'https://en.wikipedia.org/wiki/NaN',
  },
  'loss-diverging': {
    title: 'Divergence: steps too large',
    text: 'Gradient descent assumes a small step downhill lowers the loss. Steps far larger than the curvature allows jump past the valley to higher ground, and each jump makes the next one larger.',
    url: 'https://en.wikipedia.org/wiki/Learning_rate',
  },
  'loss-plateau': {
    title: 'Stalled training',
    text: 'The loss stopped falling while it is still high: the steps have become too small (a learning rate that is, or has decayed to, almost nothing) or the gradients carry no signal.',
    url: 'https://en.wikipedia.org/wiki/Learning_rate',
  },
  'loss-oscillating': {
    title: 'Oscillating loss',
    text: 'Steps that overshoot the bottom of the valley bounce from one side to the other: the loss goes up and down without settling. A smaller step, or one that shrinks over time, lets it settle.',
    url: 'https://en.wikipedia.org/wiki/Learning_rate',
  },
  overfitting: {
    title: 'Overfitting',
    text: 'The model learns the training samples themselves, noise included, instead of the pattern behind them: training keeps improving while data it has not seen gets worse. Regularisation and stopping at the best validation point help.',
    url: 'https://en.wikipedia.org/wiki/Overfitting',
  },
  'unnormalized-input': {
    title: 'Input normalisation',
    text: 'A layer sums its inputs times weights that all start at the same scale. A feature in the thousands drowns a feature in the thousandths, and huge sums saturate or blow up the layers after it. Standardising gives every feature mean 0 and std 1.',
    url: 'https://en.wikipedia.org/wiki/Feature_scaling',
  },
  'poor-initialization': {
    title: 'Weight initialisation',
    text: 'Each layer multiplies the scale of the signal by roughly sqrt(fan-in x weight variance x activation gain). He init (ReLU) and Xavier init (tanh, sigmoid) choose the variance that keeps this factor near 1, so the signal neither explodes nor vanishes through the stack; equal weights make every unit learn the same thing.',
    url: 'https://en.wikipedia.org/wiki/Weight_initialization',
  },
  'update-ratio': {
    title: 'Update size relative to the weights',
    text: 'A healthy step changes each layer\'s weights by about a thousandth of their size. Far smaller and nothing is learnt in any reasonable time; far larger and each step overwrites what was learnt.',
    url: 'https://cs231n.github.io/neural-networks-3/#ratio',
  },
  'batchnorm-unstable': {
    title: 'Batch normalisation statistics',
    text: 'Batch norm normalises with the statistics of each mini-batch while training but with running averages at evaluation. Tiny batches or slow averages make the two disagree, so the model behaves differently when it is evaluated.',
    url: 'https://en.wikipedia.org/wiki/Batch_normalization',
  },
  'dropout-too-high': {
    title: 'Dropout rate',
    text: 'Dropout switches off a random share of units at each step so the network cannot rely on any single one. Switch off too many and too little signal gets through for the layer to learn at all.',
    url: 'https://en.wikipedia.org/wiki/Dilution_(neural_networks)',
  },
  'missing-activation': {
    title: 'Why hidden layers need a non-linearity',
    text: 'Two dense layers with nothing non-linear between them multiply into one matrix: however many you stack, the network can only draw straight decision boundaries.',
    url: 'https://en.wikipedia.org/wiki/Activation_function',
  },
  'output-loss-mismatch': {
    title: 'Matching the output layer to the loss',
    text: 'Cross-entropy losses expect raw scores (logits) and apply their own softmax or sigmoid; regression with mse expects an output that can reach every target value.',
    url: 'https://en.wikipedia.org/wiki/Cross-entropy',
  },
  'unscaled-targets': {
    title: 'Target scaling',
    text: 'A freshly initialised network outputs values near 0 with a spread of about 1. Targets in the thousands make the first errors, and so the gradients, thousands of times too large: early steps throw the weights far (NaN, dead ReLUs) or the output crawls toward the targets. Standardising the targets (learn (y - mean) / std, losses reported back in the original units) lets the network work at the scale its initialisation assumes.',
    url: 'https://en.wikipedia.org/wiki/Feature_scaling',
  },
};

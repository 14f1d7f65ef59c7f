export {
  acceptReturn,
  CALLBACK_HTTP_STATUS,
  CALLBACK_TOKEN_VERSION,
  type CallbackAnswer,
  type CallbackBody,
  CallbackBodyError,
  type CallbackClaims,
  CallbackError,
  callbackBodySchema,
  callbackErrorStatus,
  ExpiredTokenError,
  ForgedTokenError,
  MalformedTokenError,
  MIN_CALLBACK_SECRET_BYTES,
  parseCallbackBody,
  type ReturnedOutput,
  refusalOf,
  returnedOutputSchema,
  signCallbackToken,
  verifyCallbackToken,
  WeakSecretError,
} from './callback.js';
export {
  type CancelResult,
  createJobControl,
  type DeleteResult,
  type JobControl,
  type JobControlDeps,
  JobControlError,
  resultKeysOf,
  retryJob,
} from './control.js';
export {
  budgetOf,
  createLaneChooser,
  LANE,
  LANE_BUCKET_KEY,
  type Lane,
  type LaneBudget,
  type LaneChooser,
  lanesOf,
  minimumTake,
  takeTokens,
} from './lanes.js';
export {
  createProducer,
  type EnqueueAccepted,
  type EnqueueOptions,
  type EnqueueRejected,
  type EnqueueResult,
  type Producer,
  type ProducerDeps,
} from './producer.js';
export { chunk, type Outgoing, type SendOutcome, SQS_BATCH_SIZE, sendJobMessages } from './sender.js';
export { createSweeper, type Sweeper, type SweeperDeps, type SweepReport } from './sweeper.js';
export { newTraceparent, traceparentOr } from './trace.js';

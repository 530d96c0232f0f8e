// Abbreviations coders type, as expansion slots: each slot lists alternatives, any of which satisfies it.
export type Slot = string[];

const A: Record<string, string> = {
  // diabetes
  dm: 'diabetes',
  dm1: 'diabetes type 1',
  dm2: 'diabetes type 2',
  dmi: 'diabetes type 1',
  dmii: 'diabetes type 2',
  t1dm: 'diabetes type 1',
  t2dm: 'diabetes type 2',
  iddm: 'diabetes type 1',
  niddm: 'diabetes type 2',
  gdm: 'gestational diabetes',
  dka: 'diabetic ketoacidosis',
  // kidney / urinary
  ckd: 'chronic kidney disease',
  esrd: 'end stage renal disease',
  aki: 'acute kidney failure',
  arf: 'acute kidney failure',
  uti: 'urinary tract infection',
  bph: 'benign prostatic hyperplasia',
  // heart / vessels
  chf: 'congestive heart failure',
  hf: 'heart failure',
  hfref: 'systolic heart failure',
  hfpef: 'diastolic heart failure',
  cad: 'coronary artery disease',
  ashd: 'atherosclerotic heart disease',
  mi: 'myocardial infarction',
  ami: 'acute myocardial infarction',
  stemi: 'st elevation myocardial infarction',
  nstemi: 'non st elevation myocardial infarction',
  htn: 'hypertension',
  hld: 'hyperlipidemia',
  afib: 'atrial fibrillation',
  af: 'atrial fibrillation',
  aflutter: 'atrial flutter',
  dvt: 'deep vein thrombosis',
  pe: 'pulmonary embolism',
  cva: 'cerebral infarction',
  tia: 'transient ischemic attack',
  pvd: 'peripheral vascular disease',
  pad: 'peripheral arterial disease',
  aaa: 'abdominal aortic aneurysm',
  svt: 'supraventricular tachycardia',
  // lungs
  copd: 'chronic obstructive pulmonary disease',
  pna: 'pneumonia',
  cap: 'pneumonia',
  osa: 'obstructive sleep apnea',
  sob: 'shortness breath',
  uri: 'upper respiratory infection',
  ards: 'acute respiratory distress syndrome',
  // gi
  gerd: 'gastro esophageal reflux disease',
  gib: 'gastrointestinal hemorrhage',
  ibs: 'irritable bowel syndrome',
  ibd: 'inflammatory bowel disease',
  uc: 'ulcerative colitis',
  // other conditions
  ra: 'rheumatoid arthritis',
  oa: 'osteoarthritis',
  ms: 'multiple sclerosis',
  als: 'amyotrophic lateral sclerosis',
  hiv: 'human immunodeficiency virus',
  ptsd: 'post traumatic stress disorder',
  adhd: 'attention deficit hyperactivity disorder',
  mdd: 'major depressive disorder',
  gad: 'generalized anxiety disorder',
  etoh: 'alcohol',
  sz: 'seizure',
  ha: 'headache',
  lbp: 'low back pain',
  cp: 'chest pain',
  abd: 'abdominal',
  mets: 'secondary|metastatic malignant|neoplasm',
  ca: 'malignant|cancer|carcinoma neoplasm|cancer|carcinoma',
  cancer: 'malignant|cancer|carcinoma neoplasm|cancer|carcinoma',
  ckd3: 'chronic kidney disease stage 3',
  // qualifiers
  fx: 'fracture',
  fxs: 'fracture',
  exac: 'exacerbation',
  exacerb: 'exacerbation',
  ae: 'exacerbation',
  r: 'right',
  rt: 'right',
  l: 'left',
  lt: 'left',
  bil: 'bilateral',
  bilat: 'bilateral',
  unsp: 'unspecified',
  unspec: 'unspecified',
  spec: 'specified',
  w: 'with',
  wo: 'without',
  init: 'initial',
  subs: 'subsequent',
  seq: 'sequela',
  hx: 'history',
  fhx: 'family history',
  sp: 'status',
  inj: 'injury',
  lac: 'laceration',
  disl: 'dislocation',
  preg: 'pregnancy',
  wk: 'weeks',
  wks: 'weeks',
  nb: 'newborn',
  lle: 'left lower limb',
  rle: 'right lower limb',
  lue: 'left upper limb',
  rue: 'right upper limb',
  le: 'lower limb',
  ue: 'upper limb',
  lob: 'lobe',
  ac: 'acute',
  chr: 'chronic',
  hosp: 'hospital',
};

const TABLE: Map<string, Slot[]> = new Map(
  Object.entries(A).map(([k, v]) => [k, v.split(' ').map((w) => w.split('|'))]),
);

/** Expansion slots for one typed word, or undefined when it is not a known abbreviation. */
export function expandAbbreviation(word: string): Slot[] | undefined {
  return TABLE.get(word);
}

/** The abbreviations whose expansion is exactly `phrase` (used by the benchmark to build coder-style queries). */
export function abbreviationsFor(phrase: string): string[] {
  return Object.entries(A)
    .filter(([, v]) => v === phrase)
    .map(([k]) => k);
}

export function abbreviationPhrases(): string[] {
  return [...new Set(Object.values(A).filter((v) => !v.includes('|')))];
}

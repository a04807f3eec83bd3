import type {ComplexAttributeConverter} from 'lit';

/**
 * A boolean attribute that defaults to true: absent or any value but `"false"` is true
 * (`follow`, `follow="false"`). Lit's `Boolean` converter cannot say false for a default-true
 * property.
 */
export const trueUnlessFalse: ComplexAttributeConverter<boolean> = {
  fromAttribute: (value) => value !== 'false',
  toAttribute: (value) => (value ? '' : 'false'),
};
